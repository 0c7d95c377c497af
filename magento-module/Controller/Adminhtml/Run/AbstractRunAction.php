<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Run;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\Run\RunActions;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Kill or retry one run (POST from the Runs grid or the run page), then show the run it led to.
 */
abstract class AbstractRunAction extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::operate';

    public function __construct(Context $context, protected readonly RunActions $runActions)
    {
        parent::__construct($context);
    }

    /**
     * @return array{0: string, 1: \Magento\Framework\Phrase} the run to show next and the success message
     * @throws GraphQlException
     */
    abstract protected function apply(string $id): array;

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT);
        $id = trim((string)$this->getRequest()->getParam('id'));
        if ($id === '') {
            $this->messageManager->addErrorMessage(__('No run was given.'));
            return $redirect->setPath('*/*/');
        }
        try {
            [$next, $message] = $this->apply($id);
            $this->messageManager->addSuccessMessage($message);
            return $redirect->setPath('*/*/view', ['id' => $next]);
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
            return $redirect->setPath('*/*/view', ['id' => $id]);
        }
    }
}
