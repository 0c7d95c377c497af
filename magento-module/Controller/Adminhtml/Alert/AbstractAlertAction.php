<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Alert;

use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\Controller\ResultFactory;
use Magento\Framework\Phrase;

/**
 * An operator's action on the Alerts page (POST), a message, back to the page.
 */
abstract class AbstractAlertAction extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::operate';

    public function __construct(Context $context, protected readonly AlertBoard $board)
    {
        parent::__construct($context);
    }

    /** The request parameter naming what to act on. */
    abstract protected function parameter(): string;

    /**
     * @throws GraphQlException
     */
    abstract protected function apply(string $value): Phrase;

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT)->setPath('*/alert/index');
        $value = trim((string)$this->getRequest()->getParam($this->parameter()));
        if ($value === '') {
            $this->messageManager->addErrorMessage(__('No %1 was given.', $this->parameter()));
            return $redirect;
        }
        try {
            $this->messageManager->addSuccessMessage($this->apply($value));
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
        }
        return $redirect;
    }
}
