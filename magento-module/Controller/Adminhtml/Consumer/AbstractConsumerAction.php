<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Consumer;

use Cronkeeper\Scheduler\Model\Consumer\ConsumerBoard;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * One action on one consumer (POST `name`), a message, back to Queues & Consumers.
 */
abstract class AbstractConsumerAction extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::operate';

    public function __construct(Context $context, protected readonly ConsumerBoard $board)
    {
        parent::__construct($context);
    }

    /**
     * @return \Magento\Framework\Phrase the success message
     * @throws GraphQlException
     */
    abstract protected function apply(string $name): \Magento\Framework\Phrase;

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT)->setPath('*/*/');
        $name = trim((string)$this->getRequest()->getParam('name'));
        if ($name === '') {
            $this->messageManager->addErrorMessage(__('No consumer was given.'));
            return $redirect;
        }
        try {
            $this->messageManager->addSuccessMessage($this->apply($name));
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
        }
        return $redirect;
    }
}
